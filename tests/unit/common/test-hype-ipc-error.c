/* Unit tests for common/hype-ipc-error: Error.Code and the numbers clients see. */
#include "hype-ipc-error.h"
#include "test.h"

#define CODE(x) HYPE__ERROR__CODE__CODE_##x

TEST(codes_become_the_statuses_clients_see) {
    ASSERT_EQ(ipc_error_http_status(CODE(UNSPECIFIED)), 0);
    ASSERT_EQ(ipc_error_http_status(CODE(BAD_REQUEST)), 400);
    ASSERT_EQ(ipc_error_http_status(CODE(UNAUTHENTICATED)), 401);
    ASSERT_EQ(ipc_error_http_status(CODE(FORBIDDEN)), 403);
    ASSERT_EQ(ipc_error_http_status(CODE(NOT_FOUND)), 404);
    ASSERT_EQ(ipc_error_http_status(CODE(CONFLICT)), 409);
    ASSERT_EQ(ipc_error_http_status(CODE(TOO_LARGE)), 413);
    ASSERT_EQ(ipc_error_http_status(CODE(TOO_MANY)), 429);
    ASSERT_EQ(ipc_error_http_status(CODE(INTERNAL)), 500);
    ASSERT_EQ(ipc_error_http_status(CODE(UNAVAILABLE)), 503);
    /* What a peer could not do now: try again. */
    ASSERT_EQ(ipc_error_http_status(CODE(TIMEOUT)), 503);
    ASSERT_EQ(ipc_error_http_status(CODE(UNKNOWN_BODY)), 503);
    ASSERT_EQ(ipc_error_http_status((Hype__Error__Code)999), 503);
}

TEST(a_relayed_status_comes_back_unchanged) {
    static const int statuses[] = {400, 401, 403, 404, 409, 413, 429, 500, 503};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        ASSERT_EQ(ipc_error_http_status(ipc_error_from_http_status(statuses[i])), statuses[i]);
    ASSERT_EQ(ipc_error_from_http_status(200), CODE(UNSPECIFIED));
    ASSERT_EQ(ipc_error_from_http_status(201), CODE(UNSPECIFIED));
    ASSERT_EQ(ipc_error_from_http_status(204), CODE(UNSPECIFIED));
    /* Statuses the relayed routes do not answer fall into their class. */
    ASSERT_EQ(ipc_error_from_http_status(418), CODE(BAD_REQUEST));
    ASSERT_EQ(ipc_error_from_http_status(502), CODE(INTERNAL));
}

TEST(errnos_met_inside) {
    ASSERT_EQ(ipc_error_from_errno(0), CODE(UNSPECIFIED));
    ASSERT_EQ(ipc_error_from_errno(-ENOMEM), CODE(UNAVAILABLE));
    ASSERT_EQ(ipc_error_from_errno(-ECONNRESET), CODE(UNAVAILABLE));
    ASSERT_EQ(ipc_error_from_errno(-ETIMEDOUT), CODE(TIMEOUT));
    ASSERT_EQ(ipc_error_from_errno(-EMSGSIZE), CODE(TOO_LARGE));
    ASSERT_EQ(ipc_error_from_errno(-EINVAL), CODE(BAD_REQUEST));
    ASSERT_EQ(ipc_error_from_errno(-EIO), CODE(INTERNAL));
    ASSERT_STREQ(ipc_error_name(CODE(NOT_FOUND)), "CODE_NOT_FOUND");
    ASSERT_STREQ(ipc_error_name((Hype__Error__Code)999), "CODE_?");
}

TEST_MAIN()
