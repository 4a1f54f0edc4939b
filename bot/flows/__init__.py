"""What outlives one message: inline buttons (typed callback data) and multi-step flows (FSM states with time-outs)."""
