-- One POST with a JSON body, the same request every time (wrk builds it once): bench/route.sh uses it for
-- Switchboard's POST /api/route, the trivial responder and LiteLLM's /chat/completions alike, so all three pay
-- the same client-side cost.
--   BENCH_BODY   the request body
--   BENCH_TOKEN  sent as "Authorization: Bearer <token>" when set
-- Every answer is counted: done() prints "answers: <2xx> ok, <other> not 2xx" and, for the first answer that was
-- not 2xx, its status and the start of its body, so a broken endpoint cannot pass for a fast one. (wrk's own
-- "Non-2xx or 3xx" line would let a 3xx through.)
local threads = {}

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    ok = 0
    bad = 0
    first_bad = ""
end

function response(status, headers, body)
    if status >= 200 and status < 300 then
        ok = ok + 1
    else
        bad = bad + 1
        if first_bad == "" then
            first_bad = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 200)
        end
    end
end

function done(summary, latency, requests)
    local ok_all, bad_all, example = 0, 0, ""
    for _, thread in ipairs(threads) do
        ok_all = ok_all + thread:get("ok")
        bad_all = bad_all + thread:get("bad")
        if example == "" then example = thread:get("first_bad") end
    end
    io.write(string.format("answers: %d ok, %d not 2xx\n", ok_all, bad_all))
    if bad_all > 0 then io.write("first answer not 2xx: " .. example .. "\n") end
end
