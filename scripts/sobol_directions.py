#!/usr/bin/env python3
"""sobol_directions.py D — prints the C rows of src/sobol_table.h: for Sobol dimensions 2..D,
the degree s, the coefficient code a and the initial direction numbers m_1..m_s of Joe & Kuo's
new-joe-kuo-6.21201 (https://web.maths.unsw.edu.au/~fkuo/sobol/), recovered from PyTorch's
SobolEngine, which is built on that file: its unscrambled direction numbers V_k (scaled by
2^30) give m_k = V_k >> (30 - k), and (s, a) is the one primitive-polynomial code whose
recurrence reproduces all 30 of them."""
import sys
import torch

BITS = 30


def recurrence(m, s, a, n):
    m = list(m[:s])
    for k in range(s, n):  # Joe & Kuo (2008), eq. (1)
        v = m[k - s] ^ (m[k - s] << s)
        for j in range(1, s):
            if (a >> (s - 1 - j)) & 1:
                v ^= m[k - j] << j
        m.append(v)
    return m


def main():
    dims = int(sys.argv[1])
    state = torch.quasirandom.SobolEngine(dims, scramble=False).sobolstate.tolist()
    for d in range(1, dims):
        m = [state[d][k] >> (BITS - 1 - k) for k in range(BITS)]
        found = [(s, a) for s in range(1, 12) for a in range(1 << max(s - 1, 0))
                 if recurrence(m, s, a, BITS) == m]
        # the smallest degree that reproduces them is the polynomial's (a larger s repeats it)
        s, a = found[0]
        print("    {%d, %d, {%s}}, /* d = %d */" % (s, a, ", ".join(map(str, m[:s])), d + 1))


main()
