#!/usr/bin/env bash
# Builds the fuzz seed corpora from the repository's real inputs into fuzz/seeds/<target>/ (not
# committed: the minimised corpora under fuzz/corpus/ are). Run from anywhere; then
# `cargo fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>` and `cargo fuzz cmin`.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf seeds && mkdir -p seeds/envelope seeds/agent_event seeds/scenario

# Envelopes: the Functions host's own samples (../shared/vectors/functions-host).
for f in ../../shared/vectors/functions-host/*.json; do
  cp "$f" "seeds/envelope/$(basename "$f")"
done

# A batch delivery ("cardinality": "many"), shaped as src/handler/invocation.rs decodes it.
cat > seeds/envelope/servicebus-batch.json <<'JSON'
{"Data":{"msg":["{\"event_type\":\"operation\",\"run_id\":\"0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f\"}","eyJhIjoxfQ=="]},"Metadata":{"MessageIdArray":["m1","m2"],"DeliveryCountArray":["1",2],"EnqueuedTimeUtcArray":["2026-11-23T18:05:00","2026-11-23T18:05:01.1234567Z"],"ContentTypeArray":["application/json",null],"ApplicationPropertiesArray":[{},{"k":"v"}],"sys":{"MethodName":"AgentEvents","UtcNow":"2026-11-23T18:05:00.3312009Z"}}}
JSON

# Scenarios: every document, first line the file name (what the target expects).
for f in ../scenarios/*.md; do
  { basename "$f"; cat "$f"; } > "seeds/scenario/$(basename "$f")"
done

# Agent events: one body of each type, shaped as in src/events/schema_tests.rs and the sample above.
run=0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f
rid=/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st1
res='"resource_id":"'$rid'","resource_type":"Microsoft.Storage/storageAccounts","resource_name":"st1","scenario_name":"compute-01-linux-vm-nginx","run_id":"'$run'","timestamp":"2026-11-23T18:05:00Z","tags":{"env":"test"}'
log='"run_id":"'$run'","scenario_name":"s","timestamp":"2026-11-23T18:05:00.1234567+00:00","severity":"error","message":"step 3 failed","agent_id":"a1","details":{"step":3}'
life='"schema_version":1,"run_id":"'$run'","timestamp":"2026-11-23T18:05:00Z","source":"orchestrator"'
e=seeds/agent_event
echo '{"event_type":"resource_created",'"$res"'}' > $e/resource_created.json
echo '{"event_type":"resource_deleted",'"$res"'}' > $e/resource_deleted.json
echo '{"event_type":"resource_deletion_failed",'"$res"',"deletion_error":"NicInUse","deletion_attempts":3}' > $e/resource_deletion_failed.json
for t in agent_started operation cleanup_complete error; do
  echo '{"event_type":"'$t'",'"$log"',"resource_id":"'$rid'"}' > $e/$t.json
done
echo '{"event_type":"run_started",'"$life"'}' > $e/run_started.json
echo '{"event_type":"phase_changed",'"$life"',"from":"provisioning","to":"monitoring"}' > $e/phase_changed.json
echo '{"event_type":"scenario_provisioned",'"$life"',"scenario_name":"compute-01-linux-vm-nginx"}' > $e/scenario_provisioned.json
echo '{"event_type":"scenario_failed",'"$life"',"scenario_name":"compute-01-linux-vm-nginx","reason":"quota"}' > $e/scenario_failed.json
echo '{"event_type":"quota_warning","anything":1}' > $e/unknown.json
# The host's encodings: a double-encoded body and a base64 body.
python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()))' $e/resource_created.json > $e/double_encoded.json
base64 -w0 $e/operation.json > $e/base64.txt
echo "seeds: $(ls seeds/envelope | wc -l) envelopes, $(ls seeds/agent_event | wc -l) events, $(ls seeds/scenario | wc -l) scenarios"
