/* fixtures: reading the SDP fixtures of this folder and checking round trips, for test-hype-sdp
 * and test-hype-sdp-sfu (run from the repository root, as make unit-test does). */
#pragma once

#include <stdio.h>

#include "hype-sdp.h"
#include "test.h"

#define FIXTURES "tests/unit/common/sdp/"

static char fixture_text[SDP_MAX_SIZE + 1];
static size_t fixture_len;
static char err[SDP_ERROR_MAX];

/* Reads a fixture into fixture_text; NULL (and a message) when it cannot. */
static const char *read_fixture(const char *name) {
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    fixture_len = fread(fixture_text, 1, SDP_MAX_SIZE, f);
    fclose(f);
    fixture_text[fixture_len] = '\0';
    return fixture_text;
}

/* The fixture parsed into a; NULL (and the parser's message) when it does not parse. */
static Sdp *parse_fixture(Arena *a, const char *name) {
    Sdp *sdp;
    if (!read_fixture(name))
        return NULL;
    if (sdp_parse(a, fixture_text, fixture_len, &sdp, err, sizeof(err)) < 0) {
        fprintf(stderr, "  %s: %s\n", name, err);
        return NULL;
    }
    return sdp;
}

static int parse(Arena *a, const char *text, Sdp **ret) {
    err[0] = '\0';
    return sdp_parse(a, text, strlen(text), ret, err, sizeof(err));
}

/* parse(generate(x)) == x, and generating again gives the same text. */
static void check_round_trip(Arena *a, const Sdp *sdp, const char *name) {
    char *text, *again;
    size_t len, len2;
    Sdp *back;
    if (sdp_generate(a, sdp, &text, &len, err, sizeof(err)) < 0)
        TEST_FAIL_("%s: generate: %s", name, err);
    ASSERT_EQ(strlen(text), len);
    if (sdp_parse(a, text, len, &back, err, sizeof(err)) < 0)
        TEST_FAIL_("%s: parse of the generated text: %s", name, err);
    if (!sdp_equal(sdp, back))
        TEST_FAIL_("%s: the generated text parses to something else", name);
    ASSERT_OK(sdp_generate(a, back, &again, &len2, err, sizeof(err)));
    ASSERT_STREQ(text, again);
}

/* The mids of the BUNDLE group, joined by spaces, are these. */
static void check_bundle_mids(const Sdp *sdp, const char *mids) {
    const SdpGroup *g = sdp_find_group(sdp, "BUNDLE");
    char joined[256] = "";
    ASSERT_NOT_NULL(g);
    for (size_t i = 0; i < g->n_mids; i++)
        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", i ? " " : "",
                 g->mids[i]);
    ASSERT_STREQ(joined, mids);
}
