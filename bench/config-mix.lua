-- 95 % GET /api/config, 5 % PATCH /api/config (a merge patch changing Creativity), bearer-authenticated.
-- Each connection sends If-Match with the newest ETag it has seen; a PATCH that lost the race to another
-- writer gets 412 (counted apart from the 200s). The token comes from $SB_TOKEN.
local token = os.getenv("SB_TOKEN")
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    etag = '"1"'
    n = 0
    ok = 0
    stale = 0
end

function request()
    n = n + 1
    if n % 20 == 0 then
        local t = (n / 20 % 9 + 1) / 10
        return wrk.format("PATCH", "/api/config", {
            ["Authorization"] = "Bearer " .. token,
            ["Content-Type"] = "application/merge-patch+json",
            ["If-Match"] = etag,
        }, string.format('{"agents":{"defaults":{"params":{"temperature":%.1f}}}}', t))
    end
    return wrk.format("GET", "/api/config", { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
    local tag = headers["ETag"] or headers["etag"]
    if tag then etag = tag end
    -- Only a PATCH answer carries changedPaths, and only a PATCH can get 412.
    if status == 412 then
        stale = stale + 1
    elseif status == 200 and string.find(body, '"changedPaths"', 1, true) then
        ok = ok + 1
    end
end

function done(summary, latency, requests)
    local committed, raced = 0, 0
    for _, thread in ipairs(threads) do
        committed = committed + thread:get("ok")
        raced = raced + thread:get("stale")
    end
    io.write(string.format("patches: %d x 200, %d x 412\n", committed, raced))
end
