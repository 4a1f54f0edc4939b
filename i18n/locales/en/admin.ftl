## Access notices and the admin panel: users, roles, quotas, invites, the agents' knowledge bases
access_banned = An administrator has closed your access to this bot. If this is a mistake, contact them.
access_private = This is a private bot. Ask an administrator to add you (your id: { $user_id }){ $invite }.
access_invite_hint = {" "}or send /start CODE from an invite
access_group = This group is not allowed to use the bot yet. A bot administrator can send /admin allow here.
invite_ok = Invite accepted — welcome!
invite_bad = This invite code is not valid: it was used, it expired or it never existed. Ask for a new one.
admin_only = This command is for the bot's administrators only.
admin_menu =
    Admin panel. Pick a section or send a command:
    /admin stats · /admin providers · /admin users · /admin kb · /admin broadcast · /admin reload
    /admin invite · /admin allow · /admin role ID role · /admin ban ID · /admin quota … · /admin audit
adm_btn_stats = 📊 Stats
adm_btn_providers = 🧠 Models
adm_btn_users = 👥 Users
adm_btn_kb = 📚 Knowledge
adm_btn_broadcast = 📣 Broadcast
adm_btn_reload = 🔄 Reload config
adm_unknown = Unknown action /admin { $sub }. See /admin.
adm_users_help = Users: /admin user ID or @name — find; /admin role ID admin|member|guest|banned; /admin ban ID · /admin unban ID; /admin quota user|chat ID tokens requests (or reset); /admin quota search user|chat ID searches (or reset); /admin usage ID — today's usage; /admin invite — an invite code; /admin allow · /admin disallow — allow or disallow this group.
    Access mode: { $mode }. { $users ->
        [one] { $users } user
       *[other] { $users } users
    }, { $admins ->
        [one] { $admins } admin
       *[other] { $admins } admins
    }, { $banned } banned.
adm_user =
    { $label }
    role: { $role } · language: { $language } · time zone: { $tz }{ $blocked }
    with us since { $since }
adm_user_blocked = {" "}· blocked the bot
adm_user_none = Nobody found for “{ $query }”.
adm_user_many = Several users match “{ $query }”. Use the id — /admin user { $query } lists them all.
adm_role_set = { $label }: role is now { $role }.
adm_role_denied = Not allowed: owners come from the config, and only owners appoint admins.
adm_role_bad = Unknown role “{ $role }”. Use admin, member, guest or banned.
adm_args = Something is missing. Example: { $example }
adm_quota_set = Daily limit for { $who }: { $limit }. It applies from the next request.
adm_quota_reset = { $who } is back on the default limit.
adm_usage =
    Usage of { $who } today:
    { $lines }
    Limit: { $limit }
adm_usage_none = { $who } has not used any model today. Limit: { $limit }
adm_invite = One-time invite code ({ $validity }): { $code }
    Link: https://t.me/{ $bot }?start={ $code }
adm_invite_forever = never expires
adm_allow_private = Send /admin allow in the group you want to allow.
adm_allowed = Group “{ $title }” allowed: its members may talk to the bot here.
adm_disallowed = This group's permission was taken back.
adm_not_allowed = This group was not allowed on its own anyway.
adm_kb_none = The agents' knowledge bases have no documents yet. Add: python -m rag ingest FILE --agent helion
adm_kb_head = Agents' knowledge bases (delete: /admin kb delete N):
adm_kb_deleted = Deleted document #{ $n } { $name } from { $scope }.
adm_kb_no_such = There is no document #{ $n }. See /admin kb.
adm_kb_off = Knowledge bases are switched off on this server.
adm_audit_head = Admin actions (✅ done, ⛔ refused), newest first:
adm_invite_days = valid { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
adm_btn_back = ⬅️ Panel
adm_btn_usage = 📈 usage
# The subject of a group's quota, as /admin quota chat ID names it.
adm_who_chat = chat { $chat }
adm_kb_line = #{ $id } { $agent } · { $name } · { $pages } p. · { $chunks ->
        [one] { $chunks } chunk
       *[other] { $chunks } chunks
    }{ $sparse }
adm_kb_sparse = {" "}· words-only search
