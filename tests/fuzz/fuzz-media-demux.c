/* fuzz-media-demux: any datagram on a media port: sorted by its first bytes, and checked as
 * DTLS records when it claims to be DTLS. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "media-demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    DemuxKind kind = demux_classify(data, size);
    DemuxDtls d;
    if (kind >= DEMUX_KIND_COUNT || !demux_kind_name(kind))
        abort();
    int r = demux_dtls_check(data, size, &d);
    if ((r == -ENOMSG) != (kind != DEMUX_DTLS))
        abort();
    if (r == 0 && (d.records == 0 || d.records > size / 14 || d.content_type != data[0]))
        abort();
    return 0;
}
