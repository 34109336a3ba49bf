/*
 * vrt help outputs - the output URIs of `vrt run -o` (vrt/sink.h), and which of them this build has.
 */
#include "commands.h"
#include "vrt/sink.h"

void cli_outputs_help(FILE *f) {
    static const struct {
        const char *scheme, *form, *what;
    } rows[] = {
        {"display", "display://0",
         "a window (SDL2): the newest frame with the results, fps in the title;\n"
         "      q, Esc or closing it stops the run (with the summary)"},
        {"http", "http://127.0.0.1:8080",
         "web viewer: / (live MJPEG + stats), /stream.mjpg, /stats (JSON),\n"
         "      /events (server-sent), /metrics (Prometheus);\n"
         "      --listen ADDR binds another address; port 0: any"},
        {"mqtt", "mqtt://HOST[:1883]/TOPIC[?qos=1]",
         "each result one JSON message (the --json schema), the summary\n"
         "      last; reconnects with back-off, counts what\n"
         "      it could not send while the broker was away"},
        {"jsonl", "FILE.jsonl, jsonl:FILE, -", "JSON lines (as --json)"},
        {"report", "FILE.html, report:FILE", "the HTML report (as --report)"},
    };
    fputs("output URIs (vrt run -o URI, repeatable; or vrt run INPUT OUTPUT):\n\n", f);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        fprintf(f, "  %s\n      %s%s\n", rows[i].form, rows[i].what,
                vrt_sink_available(rows[i].scheme)
                    ? ""
                    : "\n      (not in this build: its library was not found)");
    fputs("\nEvery output runs on its own thread behind a newest-result hand-off: a slow output drops\n"
          "results (counted per output in the summary), never slows the frame path.\n"
          "Without -o, an interactive `vrt run` opens display://0 when a display is available\n"
          "(--headless: not).\n",
          f);
}
