// The simulator is written next; this file keeps the target buildable meanwhile.
