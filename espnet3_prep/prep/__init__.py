"""The main job: LibriSpeech-style preparation as a Provider/Runner pair."""
