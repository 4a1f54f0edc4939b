## /admin providers: models, routes, health and config reloads
prov_title = 🧠 Models and routes
prov_routes = Routes (the first matching rule wins):
prov_targets = Targets:
prov_target =
    { $n }. { $target } — { $where }{ $off }
    {"    "}{ $health } · circuit: { $circuit } · quota: { $quota }
prov_local = local
prov_cloud = cloud
prov_off_mark = {" "}— 🚫 switched off by an admin
prov_up = ✅ up ({ $at })
prov_down = ❌ not answering ({ $at }): { $detail }
prov_never = ❔ not checked yet
prov_circuit_closed = closed
prov_circuit_open = open, the target is skipped
prov_circuit_half_open = waiting for a probe request
prov_quota_off = accounting off
prov_quota_none = no limits
prov_addresses = Addresses: { $items }
prov_agent_routes = Agents' own routes: { $items }
prov_help = The ⏸/▶️ buttons switch a target off and on. Commands: /admin target provider:model off|on · /admin route agent provider:model,… (or reset) · /admin reload — re-read the files.
prov_btn_check = 🔍 Check now
prov_btn_off = ⏸ { $n }. { $target }
prov_btn_on = ▶️ { $n }. { $target }
prov_target_off = Target { $target } switched off: requests go to the next targets. Back on: /admin target { $target } on
prov_target_on = Target { $target } is on again.
prov_still_off = Target { $target } is on, but its whole provider { $provider } is switched off, so nothing goes to it. Switch the provider on: /admin target { $provider } on
prov_unknown_provider = There is no provider “{ $name }”. Configured: { $known }.
prov_unknown_target = No rule uses the target “{ $name }”. Routed targets: { $known }.
prov_unknown_agent = There is no agent “{ $name }”. Agents: { $known }.
prov_bad_target = “{ $name }” is not a target. Write provider:model, e.g. ollama:qwen3:8b.
prov_route_set = { $agent } now asks { $targets } first. Back to the rules: /admin route { $agent } reset
prov_route_reset = { $agent } follows the rules of router.yaml again.
prov_routes_list = Agents' own routes: { $items }. Set: /admin route agent provider:model,… · reset: /admin route agent reset
prov_none = none
reload_ok = ✅ Config reloaded: { $agents ->
        [one] { $agents } agent
       *[other] { $agents } agents
    }, { $providers ->
        [one] { $providers } provider
       *[other] { $providers } providers
    }, { $rules ->
        [one] { $rules } rule
       *[other] { $rules } rules
    }. New requests already follow it.
reload_left_out = Providers left out: { $items }
reload_dropped = No longer in force: { $items }
reload_failed =
    ❌ Config not reloaded — the previous one stays in force. Fix the file and send /admin reload again.
    { $error }
prov_quota_tokens = { $left }/{ $daily ->
        [one] { $daily } token
       *[other] { $daily } tokens
    } left today
prov_quota_rpm = { $calls }/{ $rpm ->
        [one] { $rpm } request
       *[other] { $rpm } requests
    } this minute
