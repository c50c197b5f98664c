-- wrk script: after the run, print the latency quantiles bench.wrk pools over rounds.
-- One line, "latency-quantiles P:MICROSECONDS ...", whole percents up to 95, then every
-- hundredth of a percent up to 100, so that the tail of several rounds can be merged.
done = function(summary, latency, requests)
  local parts = {}
  for tenth = 10, 950, 10 do
    parts[#parts + 1] = string.format("%.2f:%d", tenth / 10, latency:percentile(tenth / 10))
  end
  for hundredth = 9501, 10000 do
    local percent = hundredth / 100
    parts[#parts + 1] = string.format("%.2f:%d", percent, latency:percentile(percent))
  end
  io.write("latency-quantiles ", table.concat(parts, " "), "\n")
end
