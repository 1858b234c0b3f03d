/* fuzz-ipc-frame: the IPC frame decoder fed in input-derived pieces, and the one-shot decoder. */
#include <stdint.h>
#include <stdlib.h>

#include "hype-ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Hype__Envelope *env = NULL;
    size_t used = 0;
    if (ipc_frame_decode(data, size, 0, &env, &used) == 1)
        hype__envelope__free_unpacked(env, NULL);

    /* The first byte picks the chunk size, as reads of any size may arrive. */
    size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1;
    IpcDecoder d;
    ipc_decoder_init(&d, 4096);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ipc_decoder_feed(&d, data + off, n) < 0)
            break;
        int r;
        while ((r = ipc_decoder_next(&d, &env)) == 1)
            hype__envelope__free_unpacked(env, NULL);
        if (r < 0)
            break;
    }
    ipc_decoder_done(&d);
    return 0;
}
