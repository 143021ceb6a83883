"""The hooks llmrl calls. They only describe the tasks; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import TaskSpec, hookimpl


@hookimpl
def llmrl_tasks():
    from llmrl_env_math.configs import ArithmeticConfig, DotsConfig, FileTaskConfig, MultiplicationConfig

    yield TaskSpec(
        name="arithmetic",
        factory="llmrl_env_math.arithmetic:ArithmeticTask",
        config=ArithmeticConfig,
        description="Seeded arithmetic and word problems; difficulty knobs; disjoint train/test split.",
    )
    yield TaskSpec(
        name="multiplication",
        factory="llmrl_env_math.multiplication:MultiplicationTask",
        config=MultiplicationConfig,
        description="Multi-digit multiplication in several phrasings: a code interpreter helps (ToRL's evidence task).",
    )
    yield TaskSpec(
        name="dots",
        factory="llmrl_env_math.dots:DotsTask",
        config=DotsConfig,
        description="How many dots? Pictures drawn with Pillow (an image task for VLMs; needs Pillow).",
    )
    for name, shape, cls in (("gsm8k", "GSM8K", "GSM8KTask"), ("math", "MATH", "MATHTask"), ("mm_math", "mm_math", "MMMATHTask"),
                             ("geometry3k", "geometry3k", "Geometry3KTask")):
        yield TaskSpec(
            name=name,
            factory=f"llmrl_env_math.files:{cls}",
            config=FileTaskConfig,
            description=f"Your own {shape}-shaped JSONL/Parquet files (path=..., test_path=...).",
        )
