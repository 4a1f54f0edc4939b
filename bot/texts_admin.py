"""Access notices and the admin panel's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

ADMIN_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "access_banned": "Адміністратор закрив вам доступ до цього бота. Якщо це помилка — напишіть адміністраторові.",
        "access_private": "Це приватний бот. Попросіть адміністратора додати вас (ваш id: {user_id}){invite}.",
        "access_invite_hint": " або надішліть /start КОД із запрошення",
        "access_group": "Цій групі ще не дозволено користуватися ботом. Адміністратор бота може надіслати тут /admin allow.",
        "invite_ok": "Запрошення прийнято — ласкаво просимо!",
        "invite_bad": "Код запрошення недійсний: його вже використали, термін минув або його не існує. Попросіть новий.",
        "admin_only": "Ця команда лише для адміністраторів бота.",
        "admin_menu": "Панель адміністратора. Оберіть розділ або надішліть команду:\n"
                      "/admin stats · /admin providers · /admin users · /admin kb · /admin broadcast · /admin reload\n"
                      "/admin invite · /admin allow · /admin role ID роль · /admin ban ID · /admin quota … · /admin audit",
        "adm_btn_stats": "📊 Статистика", "adm_btn_providers": "🧠 Моделі", "adm_btn_users": "👥 Користувачі",
        "adm_btn_kb": "📚 Бази знань", "adm_btn_broadcast": "📣 Розсилка", "adm_btn_reload": "🔄 Перечитати конфіг",
        "adm_unknown": "Невідома дія /admin {sub}. Список — /admin.",
        "adm_users_help": "Користувачі: /admin user ID або @ім'я — знайти; /admin role ID admin|member|guest|banned; "
                          "/admin ban ID · /admin unban ID; /admin quota user|chat ID токени запити (або reset); "
                          "/admin usage ID — використання сьогодні; /admin invite — код запрошення; "
                          "/admin allow · /admin disallow — дозволити чи заборонити цю групу.\nРежим доступу: {mode}. "
                          "Користувачів: {users}, з них адміністраторів: {admins}, заблокованих: {banned}.",
        "adm_user": "{label}\nроль: {role} · мова: {language} · часовий пояс: {tz}{blocked}\nз нами з {since}",
        "adm_user_blocked": " · заблокував бота",
        "adm_user_none": "Нікого не знайдено за «{query}».",
        "adm_user_many": "За «{query}» знайшлося кілька користувачів. Вкажіть id — /admin user {query} покаже всіх.",
        "adm_role_set": "{label}: роль тепер {role}.",
        "adm_role_denied": "Не можна: власники — з конфігурації, а адміністраторів призначають лише власники.",
        "adm_role_bad": "Невідома роль «{role}». Можна: admin, member, guest, banned.",
        "adm_args": "Не вистачає даних. Приклад: {example}",
        "adm_quota_set": "Денний ліміт для {who}: {limit}. Діє з наступного запиту.",
        "adm_quota_reset": "Для {who} знову діє ліміт за замовчуванням.",
        "adm_usage": "Використання {who} сьогодні:\n{lines}\nЛіміт: {limit}",
        "adm_usage_none": "{who} сьогодні ще не користувався моделями. Ліміт: {limit}",
        "adm_invite": "Одноразовий код запрошення (дійсний {days} дн.): {code}\nПосилання: https://t.me/{bot}?start={code}",
        "adm_invite_forever": "безстроково",
        "adm_allow_private": "Команду /admin allow надсилають у групі, яку треба дозволити.",
        "adm_allowed": "Групу «{title}» дозволено: її учасники можуть говорити з ботом тут.",
        "adm_disallowed": "Дозвіл для цієї групи скасовано.",
        "adm_not_allowed": "Ця група й не була дозволена окремо.",
        "adm_kb_none": "У базах знань агентів поки немає документів. Додати: python -m rag ingest ФАЙЛ --agent helion",
        "adm_kb_head": "Бази знань агентів (видалити: /admin kb delete N):",
        "adm_kb_deleted": "Видалено документ №{n} {name} з бази {scope}.",
        "adm_kb_no_such": "Немає документа №{n}. Список — /admin kb.",
        "adm_kb_off": "Бази знань вимкнені на цьому сервері.",
        "adm_audit_head": "Журнал дій адміністраторів (✅ виконано, ⛔ відмовлено), новіші вгорі:",
    },
    "en": {
        "access_banned": "An administrator has closed your access to this bot. If this is a mistake, contact them.",
        "access_private": "This is a private bot. Ask an administrator to add you (your id: {user_id}){invite}.",
        "access_invite_hint": " or send /start CODE from an invite",
        "access_group": "This group is not allowed to use the bot yet. A bot administrator can send /admin allow here.",
        "invite_ok": "Invite accepted — welcome!",
        "invite_bad": "This invite code is not valid: it was used, it expired or it never existed. Ask for a new one.",
        "admin_only": "This command is for the bot's administrators only.",
        "admin_menu": "Admin panel. Pick a section or send a command:\n"
                      "/admin stats · /admin providers · /admin users · /admin kb · /admin broadcast · /admin reload\n"
                      "/admin invite · /admin allow · /admin role ID role · /admin ban ID · /admin quota … · /admin audit",
        "adm_btn_stats": "📊 Stats", "adm_btn_providers": "🧠 Models", "adm_btn_users": "👥 Users",
        "adm_btn_kb": "📚 Knowledge", "adm_btn_broadcast": "📣 Broadcast", "adm_btn_reload": "🔄 Reload config",
        "adm_unknown": "Unknown action /admin {sub}. See /admin.",
        "adm_users_help": "Users: /admin user ID or @name — find; /admin role ID admin|member|guest|banned; "
                          "/admin ban ID · /admin unban ID; /admin quota user|chat ID tokens requests (or reset); "
                          "/admin usage ID — today's usage; /admin invite — an invite code; "
                          "/admin allow · /admin disallow — allow or disallow this group.\nAccess mode: {mode}. "
                          "Users: {users}, admins: {admins}, banned: {banned}.",
        "adm_user": "{label}\nrole: {role} · language: {language} · time zone: {tz}{blocked}\nwith us since {since}",
        "adm_user_blocked": " · blocked the bot",
        "adm_user_none": "Nobody found for “{query}”.",
        "adm_user_many": "Several users match “{query}”. Use the id — /admin user {query} lists them all.",
        "adm_role_set": "{label}: role is now {role}.",
        "adm_role_denied": "Not allowed: owners come from the config, and only owners appoint admins.",
        "adm_role_bad": "Unknown role “{role}”. Use admin, member, guest or banned.",
        "adm_args": "Something is missing. Example: {example}",
        "adm_quota_set": "Daily limit for {who}: {limit}. It applies from the next request.",
        "adm_quota_reset": "{who} is back on the default limit.",
        "adm_usage": "Usage of {who} today:\n{lines}\nLimit: {limit}",
        "adm_usage_none": "{who} has not used any model today. Limit: {limit}",
        "adm_invite": "One-time invite code (valid {days} days): {code}\nLink: https://t.me/{bot}?start={code}",
        "adm_invite_forever": "with no expiry",
        "adm_allow_private": "Send /admin allow in the group you want to allow.",
        "adm_allowed": "Group “{title}” allowed: its members may talk to the bot here.",
        "adm_disallowed": "This group's permission was taken back.",
        "adm_not_allowed": "This group was not allowed on its own anyway.",
        "adm_kb_none": "The agents' knowledge bases have no documents yet. Add: python -m rag ingest FILE --agent helion",
        "adm_kb_head": "Agents' knowledge bases (delete: /admin kb delete N):",
        "adm_kb_deleted": "Deleted document #{n} {name} from {scope}.",
        "adm_kb_no_such": "There is no document #{n}. See /admin kb.",
        "adm_kb_off": "Knowledge bases are switched off on this server.",
        "adm_audit_head": "Admin actions (✅ done, ⛔ refused), newest first:",
    },
}
