"""The course's logic in plain PyTorch: no UI code lives here, so all of it is testable without a browser."""
