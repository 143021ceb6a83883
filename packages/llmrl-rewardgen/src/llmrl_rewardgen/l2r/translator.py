"""The L2R translator: instruction -> Motion Descriptor -> Reward Coder -> sandbox -> validated reward spec.

One :class:`L2RTranslator` is one conversation with one robot. The descriptor keeps the
conversation's history (a follow-up is described in context); the coder does not, but sees
the reward already in force, and a follow-up's spec is the previous reward's calls plus the
new program's calls — an edit of the previous spec. The coder's code runs only in the
sandbox (through :class:`llmrl_rewardgen.codegen.CodegenLoop`), against the robot's recording
stub; the recorded calls are validated here by the robot's spec model, and anything wrong goes
back to the coder for a bounded number of repair rounds.

The robot is duck-typed (``name``, ``api_description()``, ``recording_stub_source()``,
``validate()``), as ``llmrl_mpc.robots.RobotTask`` provides (``llmrl_mpc.robots.make_robot(name)``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import ChatMessage, LLMProvider, LlmrlError, SamplingParams, Sandbox
from llmrl_core.errors import ConfigError
from llmrl_rewardgen.codegen import CodegenConfig, CodegenError, CodegenLoop, CodegenTranscript, python_block
from llmrl_rewardgen.grammar import require_grammar_support
from llmrl_rewardgen.l2r import prompts
from llmrl_rewardgen.l2r.grammar import reward_program_grammar
from llmrl_rewardgen.l2r.sandbox_check import build_program

log = logging.getLogger(__name__)


class L2RConfig(BaseModel):
    """How the two stages sample; the coder's repair budget and sandbox limits."""

    model_config = ConfigDict(extra="forbid")

    use_descriptor: bool = Field(True, description="False: the coder gets the raw instruction (L2R's coder-only ablation).")
    descriptor_retries: int = Field(3, ge=0, le=20, description="Extra descriptor samples when a reply leaves slots unfilled.")
    descriptor_temperature: float = Field(0.3, ge=0, description="L2R samples both stages at T = 0.3.")
    descriptor_max_tokens: int = Field(512, ge=16, description="Token budget of a Motion Descriptor reply.")
    seed: int | None = Field(0, description="Seed of the first descriptor sample (try k uses seed + k).")
    grammar: Literal["auto", "on", "off"] = Field(
        "auto", description=(
            "Grammar-constrained decoding of the Reward Coder (only calls of the robot's reward API, arguments in "
            "their documented ranges): auto = on when the provider can constrain its decoding (transformers)."
        ),
    )
    grammar_max_calls: int = Field(9, ge=1, le=60, description="With the grammar: most reward calls per segment.")
    grammar_max_segments: int = Field(2, ge=1, le=8, description="With the grammar: most execute_plan segments.")
    coder: CodegenConfig = Field(
        # 1536 tokens: the longest quadruped program the grammar admits (2 segments x 9 calls) is ~1470 tokens with
        # SmolLM2's tokenizer, the prompt's example program ~520: a reply is never cut inside the grammar
        default_factory=lambda: CodegenConfig(repair_budget=3, temperature=0.3, max_tokens=1536, timeout_s=20.0, memory_mb=512),
        description="The Reward Coder's codegen loop: repair budget, sampling, token budget, sandbox limits.",
    )


class TranslationError(LlmrlError):
    """The instruction could not be turned into a valid spec; ``stage`` says where, ``last_error`` why."""

    def __init__(self, message: str, *, stage: str, last_error: str, turn: L2RTurn):
        self.stage, self.last_error, self.turn = stage, last_error, turn
        super().__init__(message)


@dataclass
class L2RTurn:
    """One instruction's trip through the translator."""

    instruction: str
    descriptor_replies: list[str] = field(default_factory=list)
    description: str | None = None
    transcript: CodegenTranscript | None = None
    code: str | None = None
    spec: Any = None  # the validated spec model (previous reward + this program's calls)

    @property
    def spec_json(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json") if self.spec is not None else {}

    @property
    def coder_rounds(self) -> int:
        return len(self.transcript.rounds) if self.transcript else 0


def call_to_code(call: dict[str, Any]) -> str:
    """``{"fn": "f", "a": 1, "b": None}`` -> ``f(a=1)`` (unset arguments left out)."""
    args = ", ".join(f"{k}={v!r}" for k, v in call.items() if k != "fn" and v is not None)
    return f"{call['fn']}({args})"


class L2RTranslator:
    """Translate instructions for one robot, turn by turn (see the module docstring)."""

    def __init__(self, robot: Any, provider: LLMProvider, sandbox: Sandbox, config: L2RConfig | None = None):
        self.robot, self.provider, self.sandbox = robot, provider, sandbox
        self.config = config or L2RConfig()
        if robot.name not in prompts.TEMPLATES:
            raise ConfigError(f"L2R has prompt templates for {sorted(prompts.TEMPLATES)}, not for robot {robot.name!r}")
        self.history: list[ChatMessage] = []  # the descriptor's conversation (user/assistant pairs)
        self.reward_calls: list[dict[str, Any]] = []  # the reward in force: calls since the last reset_reward
        self.turns: list[L2RTurn] = []
        self._stub = robot.recording_stub_source()
        if self.config.grammar == "on":
            require_grammar_support(provider, "the L2R Reward Coder (grammar='on')")
        use = self.config.grammar == "on" or (self.config.grammar == "auto" and provider.supports_grammar)
        self.grammar = reward_program_grammar(
            robot.spec_model.model_json_schema(), max_calls=self.config.grammar_max_calls,
            max_segments=self.config.grammar_max_segments) if use else None

    def reset(self) -> None:
        """Forget the conversation and the reward in force."""
        self.history, self.reward_calls, self.turns = [], [], []

    # -- prompts ------------------------------------------------------------------------
    def descriptor_messages(self, instruction: str) -> list[ChatMessage]:
        return [{"role": "system", "content": prompts.descriptor_system(self.robot.name)}, *self.history,
                {"role": "user", "content": instruction}]

    def coder_messages(self, request: str, *, description: bool) -> list[ChatMessage]:
        current = "\n".join(call_to_code(c) for c in self.reward_calls) or None
        return [{"role": "system", "content": prompts.coder_system(self.robot.name, self.robot.api_description())},
                {"role": "user", "content": prompts.coder_user(request, description=description, current_program=current)}]

    # -- stages ---------------------------------------------------------------------------
    def describe(self, instruction: str, turn: L2RTurn) -> str:
        """Sample the Motion Descriptor until no slot is left unfilled (at most 1 + ``descriptor_retries`` tries)."""
        cfg = self.config
        messages = self.descriptor_messages(instruction)
        left: list[str] = []
        for k in range(cfg.descriptor_retries + 1):
            params = SamplingParams(n=1, temperature=cfg.descriptor_temperature, max_tokens=cfg.descriptor_max_tokens,
                                    seed=None if cfg.seed is None else cfg.seed + k)
            reply = self.provider.generate([messages], params)[0].text
            turn.descriptor_replies.append(reply)
            left = prompts.unfilled_slots(reply)
            log.info("l2r descriptor try %d/%d:\n%s", k + 1, cfg.descriptor_retries + 1, reply)
            if not left and reply.strip():
                return prompts.extract_description(reply)
            log.info("l2r descriptor try %d: %s; retrying", k + 1,
                     f"{len(left)} slot(s) left unfilled ({', '.join(sorted(set(left)))})" if left else "empty reply")
        why = f"{len(left)} slot(s) still unfilled ({', '.join(sorted(set(left)))})" if left else "the reply was empty"
        raise TranslationError(
            f"l2r: the Motion Descriptor did not fill its template in {cfg.descriptor_retries + 1} tries: {why}. "
            "No controller was started. Use a stronger model (--provider openai --model ...), or skip the descriptor "
            "(coder-only).", stage="descriptor", last_error=why, turn=turn)

    def _prior(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The reward in force that a new program's calls edit: none when the program resets the reward."""
        return [] if any(c.get("fn") == "reset_reward" for c in calls) else self.reward_calls

    def _check(self, verdict: dict[str, Any]) -> str | None:
        """In-process validation of the recorded calls (JSON data) with the robot's spec model."""
        calls = verdict.get("calls")
        if not isinstance(calls, list) or not all(isinstance(c, dict) and "fn" in c for c in calls):
            return "the program's calls could not be recorded; call the API functions directly at module level"
        try:
            self.robot.validate({"task": self.robot.name, "calls": calls})
            self.robot.validate({"task": self.robot.name, "calls": [*self._prior(calls), *calls]})
        except ConfigError as exc:
            return ("the calls your program made are invalid (calls.<i> is its i-th call, from 0):\n" + str(exc))
        return None

    def _loop(self) -> CodegenLoop:
        return CodegenLoop(self.provider, self.sandbox, extract=python_block(), config=self.config.coder,
                           build_program=lambda code: build_program(code, self._stub), check=self._check,
                           name=f"l2r coder ({self.robot.name})", grammar=self.grammar)

    def validate_program(self, code: str) -> tuple[dict[str, Any] | None, str | None]:
        """Check one Reward Coder program as the loop does (in the sandbox, then the spec model): (verdict, error)."""
        _, verdict, error = self._loop().validate(code)
        return verdict, error

    def code(self, request: str, *, description: bool, turn: L2RTurn) -> list[dict[str, Any]]:
        """Run the Reward Coder through the codegen loop; returns the accepted program's recorded calls."""
        loop = self._loop()
        try:
            transcript = loop.run(self.coder_messages(request, description=description))
        except CodegenError as exc:
            turn.transcript = exc.transcript
            last = exc.transcript.rounds[-1].error if exc.transcript.rounds else "no round ran"
            raise TranslationError(
                f"l2r: the Reward Coder could not satisfy {turn.instruction!r} within {len(exc.transcript.rounds)} "
                f"round(s) (1 attempt + {self.config.coder.repair_budget} repairs); no controller was started. "
                f"The last error:\n{last}", stage="coder", last_error=last or "", turn=turn) from None
        turn.transcript = transcript
        turn.code = transcript.code
        return transcript.accepted.verdict["calls"]

    # -- the whole trip ------------------------------------------------------------------------
    def translate(self, instruction: str) -> L2RTurn:
        """Instruction -> validated spec (the previous reward plus this instruction's calls)."""
        if not instruction.strip():
            raise ConfigError("l2r: the instruction is empty; say what the robot should do")
        turn = L2RTurn(instruction=instruction)
        if self.config.use_descriptor:
            turn.description = self.describe(instruction, turn)
            request, described = turn.description, True
        else:
            request, described = instruction, False
        calls = self.code(request, description=described, turn=turn)
        turn.spec = self.robot.validate({"task": self.robot.name, "calls": [*self._prior(calls), *calls]})
        # the conversation moves on only when the turn succeeded
        if self.config.use_descriptor:
            self.history += [{"role": "user", "content": instruction}, {"role": "assistant", "content": turn.description}]
        reward = [*self._prior(calls), *(c for c in calls if c["fn"] != "execute_plan")]
        last_reset = max((i for i, c in enumerate(reward) if c["fn"] == "reset_reward"), default=-1)
        self.reward_calls = reward[last_reset + 1:]
        self.turns.append(turn)
        log.info("l2r: %r -> %d call(s) in the spec", instruction, len(turn.spec.calls))
        return turn
