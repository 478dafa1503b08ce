"""The wizard's screens: start, one step screen for all steps, summary, export, change, help, dialogs."""
