-- The write reference's payment create (scripts/bench.d/reference): POST /payments, each request
-- a pledge id and an Idempotency-Key of its own, pm_card_visa confirmed against its sandbox.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local report_setup = setup
local threads_made = 0
local sent = 0
local run = os.time()

function setup(thread)
    report_setup(thread)
    threads_made = threads_made + 1
    thread:set("thread_number", threads_made)
end

function request()
    sent = sent + 1
    local pledge = string.format("%d%d%08d", run % 1000000, thread_number, sent)
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "ref-pay-" .. run .. "-" .. thread_number .. "-" .. sent,
    }
    local body = '{"pledge_id": ' .. pledge .. ', "amount": 1000, "payment_method": "pm_card_visa"}'
    return wrk.format("POST", "/payments", headers, body)
end
