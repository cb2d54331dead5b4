-- The reference's write: POST /pledges with its own Idempotency-Key each (three inserts in one
-- transaction, shared/bench-reference).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local report_setup = setup
local thread_number = 0
local sent = 0
local run = tostring(os.time())

function setup(thread)
    report_setup(thread)
    thread_number = thread_number + 1
    thread:set("thread_number", thread_number)
end

function request()
    sent = sent + 1
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "ref-" .. run .. "-" .. thread_number .. "-" .. sent,
    }
    return wrk.format("POST", "/pledges", headers, '{"user_id": 7, "campaign_id": 1, "amount": "25.00"}')
end
