"""Think Before You Act: one autoregressive stream of captions and actions on BabyAI.

``data`` collects the BabyAI bot's demonstrations with subgoal captions, ``stream`` turns
them into token streams, ``model`` is the GPT-2 policy, ``train`` and ``evaluate`` fit it
and measure success on held-out seeds. The same code without captions is the baseline.
"""
