/* config_depth.c — the nesting cap of sweep files and --set values.  libyaml's scanner takes
 * time quadratic in the depth of open collections (each token walks the stack of open flow
 * levels: [[[...]]] 100,000 deep takes over a minute), so before the document is loaded its
 * events are read with a depth count, stopping at the first collection deeper than
 * CONFIG_MAX_DEPTH: the stack never grows past the cap, so this pass is linear. */
#include "config_internal.h"

int config_find_too_deep(const char *text, size_t len, int *line, int *col)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return 0; /* the load reports it */
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int depth = 0, found = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) break; /* a syntax error: the load reports it */
        yaml_event_type_t type = ev.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            if (++depth > CONFIG_MAX_DEPTH) {
                *line = (int)ev.start_mark.line + 1;
                *col = (int)ev.start_mark.column + 1;
                found = 1;
            }
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (found || type == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&parser);
    return found;
}
