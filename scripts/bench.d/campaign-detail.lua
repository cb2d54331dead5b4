-- GET /api/campaigns/{id}, cycling over the seeded campaigns (BENCH_CAMPAIGN_IDS, comma-separated).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

-- The requests are built once per thread in init(); request() only picks the next one.
local report_init = init
local requests = {}
local next_request = 0

function init(args)
    report_init(args)
    for id in os.getenv("BENCH_CAMPAIGN_IDS"):gmatch("%d+") do
        table.insert(requests, wrk.format("GET", "/api/campaigns/" .. id))
    end
end

function request()
    next_request = next_request % #requests + 1
    return requests[next_request]
end
