-- wrk script for the GET endpoints: the bench user's access token (BENCH_TOKEN) on every
-- request; the path comes with the URL. done() prints one parseable line (see summary.lua).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN unset")

local summary = dofile(assert(os.getenv("BENCH_LUA_DIR"), "BENCH_LUA_DIR unset") .. "/summary.lua")
done = summary.done
