"""Documents that cost a naive GraphQL server a lot: shared by the HTTP and WebSocket tests."""


def fragment_bomb(levels: int, fan_out: int = 2) -> str:
    parts = ["query Bomb { ...F0 }"]
    for i in range(levels):
        parts.append(f"fragment F{i} on Query {{ {' '.join(f'...F{i + 1}' for _ in range(fan_out))} }}")
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return "\n".join(parts)


def fragment_chain(length: int) -> str:
    """A chain of fragments each adding an aliased field: deep recursion for a naive walker."""
    parts = ["query Chain { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ a{i}: __typename ...F{i + 1} }}" for i in range(length)]
    parts.append(f"fragment F{length} on Query {{ __typename }}")
    return "\n".join(parts)
