# Sourced by the server benchmarks: the request mix of 50 API clients
# (bench/load's flags) in $mix: reads of seven products' findings, the
# queue, the product list, a vulnerability and its checklist, and every
# 20th request an assessment save (body written to $work/answers.json).
body="$work/answers.json"
echo '{"answers": {"c1": "no"}, "note": "benchmark"}' >"$body"
mix=()
for i in 0001 0042 0137 0256 0512 0777 0999; do
  mix+=(--path "/api/v1/products/product-$i/findings?limit=100")
done
mix+=(--path '/api/v1/queue?limit=100' --path '/api/v1/products?limit=50'
      --path /api/v1/vulnerabilities/CVE-2014-0160 --path /api/v1/vulnerabilities/CVE-2014-0160/checklist
      --put "/api/v1/products/product-0001/assessments/CVE-2014-0160" "$body" 20)
