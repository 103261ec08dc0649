"""The values a profile is written in: levels, durations, sizes, modes and addresses."""
