"""The model core of Sluice: a PyTorch trainer fed by the trainer's batch server (trainer/PROTOCOL.md)."""
