## Access notices and the admin panel: users, roles, quotas, invites, the agents' knowledge bases
access_banned = Адміністратор закрив вам доступ до цього бота. Якщо це помилка — напишіть адміністраторові.
access_private = Це приватний бот. Попросіть адміністратора додати вас (ваш id: { $user_id }){ $invite }.
access_invite_hint = {" "}або надішліть /start КОД із запрошення
access_group = Цій групі ще не дозволено користуватися ботом. Адміністратор бота може надіслати тут /admin allow.
invite_ok = Запрошення прийнято — ласкаво просимо!
invite_bad = Код запрошення недійсний: його вже використали, термін минув або його не існує. Попросіть новий.
admin_only = Ця команда лише для адміністраторів бота.
admin_menu =
    Панель адміністратора. Оберіть розділ або надішліть команду:
    /admin stats · /admin providers · /admin users · /admin kb · /admin broadcast · /admin reload
    /admin invite · /admin allow · /admin role ID роль · /admin ban ID · /admin quota … · /admin audit
adm_btn_stats = 📊 Статистика
adm_btn_providers = 🧠 Моделі
adm_btn_users = 👥 Користувачі
adm_btn_kb = 📚 Бази знань
adm_btn_broadcast = 📣 Розсилка
adm_btn_reload = 🔄 Перечитати конфіг
adm_unknown = Невідома дія /admin { $sub }. Список — /admin.
adm_users_help = Користувачі: /admin user ID або @ім'я — знайти; /admin role ID admin|member|guest|banned; /admin ban ID · /admin unban ID; /admin quota user|chat ID токени запити (або reset); /admin quota search user|chat ID пошуки (або reset); /admin usage ID — використання сьогодні; /admin invite — код запрошення; /admin allow · /admin disallow — дозволити чи заборонити цю групу.
    Режим доступу: { $mode }. { $users ->
        [one] { $users } користувач
        [few] { $users } користувачі
        [many] { $users } користувачів
       *[other] { $users } користувача
    }, з них { $admins ->
        [one] { $admins } адміністратор
        [few] { $admins } адміністратори
        [many] { $admins } адміністраторів
       *[other] { $admins } адміністратора
    } і { $banned ->
        [one] { $banned } заблокований
        [few] { $banned } заблоковані
        [many] { $banned } заблокованих
       *[other] { $banned } заблокованого
    }.
adm_user =
    { $label }
    роль: { $role } · мова: { $language } · часовий пояс: { $tz }{ $blocked }
    з нами з { $since }
adm_user_blocked = {" "}· заблокував бота
adm_user_none = Нікого не знайдено за «{ $query }».
adm_user_many = За «{ $query }» знайшлося кілька користувачів. Вкажіть id — /admin user { $query } покаже всіх.
adm_role_set = { $label }: роль тепер { $role }.
adm_role_denied = Не можна: власники — з конфігурації, а адміністраторів призначають лише власники.
adm_role_bad = Невідома роль «{ $role }». Можна: admin, member, guest, banned.
adm_args = Не вистачає даних. Приклад: { $example }
adm_quota_set = Денний ліміт для { $who }: { $limit }. Діє з наступного запиту.
adm_quota_reset = Для { $who } знову діє ліміт за замовчуванням.
adm_usage =
    Використання { $who } сьогодні:
    { $lines }
    Ліміт: { $limit }
adm_usage_none = { $who } сьогодні ще не користувався моделями. Ліміт: { $limit }
adm_invite = Одноразовий код запрошення ({ $validity }): { $code }
    Посилання: https://t.me/{ $bot }?start={ $code }
adm_invite_forever = безстроковий
adm_allow_private = Команду /admin allow надсилають у групі, яку треба дозволити.
adm_allowed = Групу «{ $title }» дозволено: її учасники можуть говорити з ботом тут.
adm_disallowed = Дозвіл для цієї групи скасовано.
adm_not_allowed = Ця група й не була дозволена окремо.
adm_kb_none = У базах знань агентів поки немає документів. Додати: python -m rag ingest ФАЙЛ --agent helion
adm_kb_head = Бази знань агентів (видалити: /admin kb delete N):
adm_kb_deleted = Видалено документ №{ $n } { $name } з бази { $scope }.
adm_kb_no_such = Немає документа №{ $n }. Список — /admin kb.
adm_kb_off = Бази знань вимкнені на цьому сервері.
adm_audit_head = Журнал дій адміністраторів (✅ виконано, ⛔ відмовлено), новіші вгорі:
adm_invite_days = дійсний { $days ->
        [one] { $days } день
        [few] { $days } дні
        [many] { $days } днів
       *[other] { $days } дня
    }
adm_btn_back = ⬅️ Панель
adm_btn_usage = 📈 використання
# The subject of a group's quota, as /admin quota chat ID names it.
adm_who_chat = chat { $chat }
adm_kb_line = №{ $id } { $agent } · { $name } · { $pages } с. · { $chunks ->
        [one] { $chunks } фрагмент
        [few] { $chunks } фрагменти
        [many] { $chunks } фрагментів
       *[other] { $chunks } фрагмента
    }{ $sparse }
adm_kb_sparse = {" "}· лише пошук за словами
