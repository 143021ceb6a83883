"""The hooks llmrl calls. They only describe the tasks; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import TaskSpec, hookimpl


@hookimpl
def llmrl_tasks():
    from llmrl_env_math.configs import ArithmeticConfig, FileTaskConfig

    yield TaskSpec(
        name="arithmetic",
        factory="llmrl_env_math.arithmetic:ArithmeticTask",
        config=ArithmeticConfig,
        description="Seeded arithmetic and word problems; difficulty knobs; disjoint train/test split.",
    )
    for name, shape in (("gsm8k", "GSM8K"), ("math", "MATH"), ("mm_math", "mm_math")):
        yield TaskSpec(
            name=name,
            factory=f"llmrl_env_math.files:{name.replace('_', '').upper()}Task",
            config=FileTaskConfig,
            description=f"Your own {shape}-shaped JSONL/Parquet files (path=..., test_path=...).",
        )
