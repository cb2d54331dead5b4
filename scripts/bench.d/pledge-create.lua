-- POST /api/pledges as a signed-in donor (BENCH_TOKEN), cycling over the seeded campaigns, each
-- request with its own Idempotency-Key: every request makes a new pledge (the write hot path).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local report_setup, report_init = setup, init
local threads_made = 0
local campaigns = {}
local sent = 0
local run = tostring(os.time())

function setup(thread)
    report_setup(thread)
    -- A global of the thread's own Lua state (a local here would stay 0 in every thread, and
    -- two threads would send the same keys: replays, not new pledges).
    threads_made = threads_made + 1
    thread:set("thread_number", threads_made)
end

function init(args)
    report_init(args)
    for id in os.getenv("BENCH_CAMPAIGN_IDS"):gmatch("%d+") do
        table.insert(campaigns, id)
    end
end

function request()
    sent = sent + 1
    local campaign = campaigns[sent % #campaigns + 1]
    local headers = {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
        ["Idempotency-Key"] = "bench-" .. run .. "-" .. thread_number .. "-" .. sent,
    }
    local body = '{"campaign_id": ' .. campaign .. ', "amount": 500}'
    return wrk.format("POST", "/api/pledges", headers, body)
end
