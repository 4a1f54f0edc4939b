## Voice notes heard and answers spoken (bot/turn/voice.py, bot/handlers/voice.py)
# Shown as a quote above the answer to a voice note.
voice_heard = 🎙 { $text }
voice_heard_unsure = 🎙 (I may not have heard it all) { $text }
transcript = 🎙 { $text }
transcript_unsure = 🎙 (I may not have heard it all) { $text }
transcribe_usage = Send /transcribe as a reply to a voice message or an audio file and I'll send its text.
voice_too_long = The recording is too long: I listen to at most { $limit }. Send a shorter one or type your question.
voice_too_large = The file is over { $mb } MB, more than I download. Send a shorter recording.
voice_empty = The recording is empty. Please record it again.
voice_not_audio = This does not look like audio. Send a voice message or an audio file (OGG, MP3, M4A, WAV).
voice_unsupported = I can't read this audio format. Send a voice message or an MP3, OGG or M4A file.
voice_corrupt = The recording is damaged and I could not read it. Please send it again.
voice_download_failed = I could not download the recording from Telegram. Please send it again.
voice_missing = I can't open that audio file. Please check the path.
voice_no_speech = I heard no speech in the recording. Try again closer to the microphone, or type your question.
voice_stt_unavailable = I can't recognise speech right now: the model is unavailable. Try again a little later or type your question.
voice_local_only = This chat uses local models only, and local speech recognition is unavailable right now. Please type your question.
voice_state_on = Voice answers are on: after the text I also send a voice message. Turn off: /voice off
voice_state_off = Voice answers are off. Turn on: /voice on — then I also send a voice message after the text.
voice_on = 🔊 From now on I'll also answer by voice (the first paragraph of each answer). Turn off: /voice off
voice_off = Voice answers are off. Turn them on again: /voice on
voice_tts_missing = Speech synthesis is not set up on this bot, so I can't answer by voice. Text answers work as always.
admins_voice = Only group admins can turn voice answers on or off. Please ask one of them.
