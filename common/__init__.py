"""What every layer shares and nothing of ours is imported by: the error root, ids and categories,
source and status names, the record contract, text folding, phrase and yes/no rules. Imports nothing of ours."""
