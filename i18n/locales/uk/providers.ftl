## /admin providers: models, routes, health and config reloads
prov_title = 🧠 Моделі й маршрути
prov_routes = Маршрути (діє перше правило, що підходить):
prov_targets = Цілі:
prov_target =
    { $n }. { $target } — { $where }{ $off }
    {"    "}{ $health } · ланцюг: { $circuit } · квота: { $quota }
prov_local = локальна
prov_cloud = хмарна
prov_off_mark = {" "}— 🚫 вимкнена адміністратором
prov_up = ✅ працює ({ $at })
prov_down = ❌ не відповідає ({ $at }): { $detail }
prov_never = ❔ ще не перевірялася
prov_circuit_closed = закритий
prov_circuit_open = відкритий, ціль пропускається
prov_circuit_half_open = чекає пробного запиту
prov_quota_off = облік вимкнено
prov_quota_none = без обмежень
prov_addresses = Адреси: { $items }
prov_agent_routes = Власні маршрути агентів: { $items }
prov_help = Кнопки ⏸/▶️ вимикають і вмикають ціль. Команди: /admin target провайдер:модель off|on · /admin route агент провайдер:модель,… (або reset) · /admin reload — перечитати файли.
prov_btn_check = 🔍 Перевірити
prov_btn_off = ⏸ { $n }. { $target }
prov_btn_on = ▶️ { $n }. { $target }
prov_target_off = Ціль { $target } вимкнено: запити йдуть до наступних цілей. Увімкнути: /admin target { $target } on
prov_target_on = Ціль { $target } знову увімкнено.
prov_still_off = Ціль { $target } увімкнено, але весь провайдер { $provider } вимкнений, тож запити до неї не йдуть. Увімкнути провайдера: /admin target { $provider } on
prov_unknown_provider = Немає провайдера «{ $name }». Є: { $known }.
prov_unknown_target = Ціль «{ $name }» не використовує жодне правило. Є: { $known }.
prov_unknown_agent = Немає агента «{ $name }». Є: { $known }.
prov_bad_target = «{ $name }» — не ціль. Пишіть провайдер:модель, наприклад ollama:qwen3:8b.
prov_route_set = { $agent } тепер спершу питає: { $targets }. Повернути правила: /admin route { $agent } reset
prov_route_reset = { $agent } знову йде за правилами router.yaml.
prov_routes_list = Власні маршрути агентів: { $items }. Задати: /admin route агент провайдер:модель,… · скинути: /admin route агент reset
prov_none = немає
reload_ok = ✅ Конфіг перечитано: { $agents ->
        [one] { $agents } агент
        [few] { $agents } агенти
        [many] { $agents } агентів
       *[other] { $agents } агента
    }, { $providers ->
        [one] { $providers } провайдер
        [few] { $providers } провайдери
        [many] { $providers } провайдерів
       *[other] { $providers } провайдера
    }, { $rules ->
        [one] { $rules } правило
        [few] { $rules } правила
        [many] { $rules } правил
       *[other] { $rules } правила
    }. Нові запити вже йдуть за ним.
reload_left_out = Пропущено провайдерів: { $items }
reload_dropped = Більше не діють: { $items }
reload_failed =
    ❌ Конфіг не перечитано — діє попередній. Виправте файл і надішліть /admin reload ще раз.
    { $error }
prov_quota_tokens = лишилося { $left }/{ $daily ->
        [one] { $daily } токена
        [few] { $daily } токенів
        [many] { $daily } токенів
       *[other] { $daily } токена
    } на сьогодні
prov_quota_rpm = { $calls }/{ $rpm ->
        [one] { $rpm } запит
        [few] { $rpm } запити
        [many] { $rpm } запитів
       *[other] { $rpm } запиту
    } за цю хвилину
