# The terminal chat (python -m bot console): its first line says which model answers and how to get a better one.
console-model-tiny = Answering: the small built-in model { $model }. It needs no server, but its answers are very basic. For real answers install Ollama (https://ollama.com) and run: ollama pull qwen3:8b
console-model = Answering: { $model }. /help lists the commands, /quit leaves.
console-model-none = No model can answer right now. Install Ollama (https://ollama.com) and run: ollama pull qwen3:8b — or check config/router.yaml.
