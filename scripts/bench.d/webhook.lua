-- POST of signed provider events: each request sends the next line of BENCH_EVENTS_FILE
-- ("<Stripe-Signature>\t<body>"; wrk's threads take alternate lines) to BENCH_WEBHOOK_PATH.
-- A file that runs out starts over: redeliveries, answered as duplicates (the file is made
-- larger than a run needs).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local report_setup, report_init = setup, init
local threads_made = 0
local events = {}
local sent = 0

function setup(thread)
    report_setup(thread)
    threads_made = threads_made + 1
    thread:set("thread_number", threads_made)
    thread:set("thread_count", 2)
end

function init(args)
    report_init(args)
    local line_number = 0
    for line in io.lines(os.getenv("BENCH_EVENTS_FILE")) do
        line_number = line_number + 1
        if line_number % thread_count == thread_number - 1 then
            local signature, body = line:match("^([^\t]+)\t(.*)$")
            table.insert(events, { signature, body })
        end
    end
end

function request()
    sent = sent + 1
    local event = events[(sent - 1) % #events + 1]
    local headers = { ["Content-Type"] = "application/json", ["Stripe-Signature"] = event[1] }
    return wrk.format("POST", os.getenv("BENCH_WEBHOOK_PATH"), headers, event[2])
end
