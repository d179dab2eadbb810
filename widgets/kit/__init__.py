"""The course's offline world: its data (Digits-M, the letters), its pre-trained CNN and checkpoints, the model
zoo and downloads, photos, measurements, and the presets the lessons share. Built on :mod:`widgets.engine`."""
