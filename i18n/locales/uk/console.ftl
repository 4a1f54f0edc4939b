# The terminal chat (python -m bot console): its first line says which model answers and how to get a better one.
console-model-tiny = Відповідає вбудована мала модель { $model }: працює без сервера, але відповідає дуже просто. Для справжніх відповідей встановіть Ollama (https://ollama.com) і виконайте: ollama pull qwen3:8b
console-model = Відповідає { $model }. /help — команди, /quit — вихід.
console-model-none = Зараз жодна модель не відповідає. Встановіть Ollama (https://ollama.com) і виконайте: ollama pull qwen3:8b — або перевірте config/router.yaml.
