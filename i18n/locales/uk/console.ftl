# The terminal chat (python -m bot console): its first line says which model answers and how to get a better one.
console-model-tiny = Відповідає вбудована мала модель { $model }: працює без сервера, але відповідає дуже просто. Для справжніх відповідей встановіть Ollama (https://ollama.com) і виконайте: ollama pull qwen3:8b
console-model = Відповідає { $model }. /help — команди, /quit — вихід.
console-model-none = Зараз жодна модель не відповідає. Встановіть Ollama (https://ollama.com) і виконайте: ollama pull qwen3:8b — або перевірте config/router.yaml.
# `python -m bot` without BOT_TOKEN: why it chats in the terminal instead.
console-no-token = BOT_TOKEN не задано: розмова в терміналі. Щоб запустити Telegram-бота, додайте BOT_TOKEN у .env.
# /help (or an empty line) in the terminal chat.
console-help = /agent ІМ'Я, /reset, /memory, /photo ШЛЯХ [питання], /ocr ШЛЯХ, /voice ШЛЯХ, /search ПИТАННЯ, /quit — { $agents }
console-saved = {"  "}збережено { $path }
