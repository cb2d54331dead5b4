-- The reference's write: POST /pledges with its own Idempotency-Key each (three inserts in one
-- transaction, shared/bench-reference).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local report_setup = setup
local threads_made = 0
local sent = 0
local run = tostring(os.time())

function setup(thread)
    report_setup(thread)
    -- A global of the thread's own Lua state (a local here would stay 0 in every thread, and
    -- two threads would send the same keys: replays, not new pledges).
    threads_made = threads_made + 1
    thread:set("thread_number", threads_made)
end

function request()
    sent = sent + 1
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "ref-" .. run .. "-" .. thread_number .. "-" .. sent,
    }
    return wrk.format("POST", "/pledges", headers, '{"user_id": 7, "campaign_id": 1, "amount": "25.00"}')
end
