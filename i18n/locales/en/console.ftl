# The terminal chat (python -m bot console): its first line says which model answers and how to get a better one.
console-model-tiny = Answering: the small built-in model { $model }. It needs no server, but its answers are very basic. For real answers install Ollama (https://ollama.com) and run: ollama pull qwen3:8b
console-model = Answering: { $model }. /help lists the commands, /quit leaves.
console-model-none = No model can answer right now. Install Ollama (https://ollama.com) and run: ollama pull qwen3:8b — or check config/router.yaml.
# `python -m bot` without BOT_TOKEN: why it chats in the terminal instead.
console-no-token = No BOT_TOKEN set: chatting in the terminal. Put BOT_TOKEN in .env to run the Telegram bot.
# /help (or an empty line) in the terminal chat.
console-help = /agent NAME, /reset, /memory, /photo PATH [question], /ocr PATH, /voice PATH, /search QUESTION, /quit — { $agents }
console-saved = {"  "}saved { $path }
