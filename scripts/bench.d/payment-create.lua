-- POST /api/payments as guests: each request pays the next pledge of BENCH_PLEDGES_FILE (lines
-- "pledge_id receipt_token"; wrk's threads take alternate lines) with the sandbox's Visa card,
-- confirmed by the platform, from an address of its own (X-Forwarded-For, as the gateway sends
-- it), each with its own Idempotency-Key. A file that runs out starts over: 409s, counted.
local threads_made = 0
local pledges = {}
local sent = 0
local run = tostring(os.time())

function setup(thread)
    threads_made = threads_made + 1
    thread:set("thread_number", threads_made)
    thread:set("thread_count", 2)
end

function init(args)
    local line_number = 0
    for line in io.lines(os.getenv("BENCH_PLEDGES_FILE")) do
        line_number = line_number + 1
        if line_number % thread_count == thread_number - 1 then
            local id, token = line:match("^(%d+) (%S+)$")
            table.insert(pledges, { id, token })
        end
    end
end

function request()
    sent = sent + 1
    local pledge = pledges[(sent - 1) % #pledges + 1]
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = "bench-pay-" .. run .. "-" .. thread_number .. "-" .. sent,
        ["X-Forwarded-For"] = "10." .. thread_number .. "." .. (math.floor(sent / 250) % 250) .. "."
            .. (sent % 250 + 1),
    }
    local body = '{"pledge_id": ' .. pledge[1] .. ', "payment_method": "pm_card_visa", '
        .. '"receipt_token": "' .. pledge[2] .. '"}'
    return wrk.format("POST", "/api/payments", headers, body)
end
