/* main.c — placeholder entry point until the command line lands. */
#include <stdio.h>
int main(void) { puts("optsweep"); return 0; }
