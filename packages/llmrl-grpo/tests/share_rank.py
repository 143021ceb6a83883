"""One rank of test_ranks_share_rank_zeros_result_and_a_late_rank_zero_times_out (run by torchrun, gloo).

Each rank gathers and sums over the ranks, takes rank 0's value, then waits for a rank 0 that is slower
than the timeout; it writes what it saw to $SHARE_OUT/rank<r>.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def main() -> None:
    import torch.distributed as dist

    from llmrl_core.runs import world
    from llmrl_grpo.distributed import gather_lists, share_from_main, sum_over_ranks

    dist.init_process_group("gloo")
    rank, _ = world()
    seen: dict = {"gathered": gather_lists({"ids": [rank] * (rank + 1)}), "sum": sum_over_ranks(rank + 1.0),
                  "shared": share_from_main("value", {"from": rank}, timeout_s=60)}
    if rank == 0:
        time.sleep(3)  # "evaluating" for longer than rank 1 will wait
    try:
        seen["late"] = share_from_main("late", {"from": rank}, timeout_s=0.5)
    except TimeoutError as exc:
        seen["late_error"] = str(exc)
    dist.barrier()
    Path(os.environ["SHARE_OUT"], f"rank{rank}.json").write_text(json.dumps(seen))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
