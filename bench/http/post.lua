-- wrk script for POST /api/messages: the bench user's access token (BENCH_TOKEN) and a fixed
-- message (BENCH_CONTENT) to channel BENCH_CHANNEL; pgbench sends the same content.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN unset")
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"content":"%s","channelId":"%s"}',
    assert(os.getenv("BENCH_CONTENT"), "BENCH_CONTENT unset"),
    assert(os.getenv("BENCH_CHANNEL"), "BENCH_CHANNEL unset"))

local summary = dofile(assert(os.getenv("BENCH_LUA_DIR"), "BENCH_LUA_DIR unset") .. "/summary.lua")
done = summary.done
