"""Operations: roles and access, admin actions, broadcasts, reminders, stats and scheduled jobs (no aiogram here)."""
