# The agent image: `haymaker agent` with the Azure CLI it drives. The orchestrator starts one
# Container App per scenario from it (HAYMAKER_AGENT_IMAGE; infra/ deploys `<registry>/haymaker:latest`).
# Build and push: see docs/AGENT.md.

# --- build: the release binary ----------------------------------------------------------------
FROM rust:1.90-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake clang \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs host.json ./
COPY src ./src
COPY functions ./functions
COPY scenarios ./scenarios
COPY benches ./benches
RUN cargo build --release --locked --bin haymaker

# --- runtime: Debian with the Azure CLI ---------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg lsb-release \
 && mkdir -p /etc/apt/keyrings \
 && curl -sLS https://packages.microsoft.com/keys/microsoft.asc \
    | gpg --dearmor -o /etc/apt/keyrings/microsoft.gpg \
 && chmod go+r /etc/apt/keyrings/microsoft.gpg \
 && echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/microsoft.gpg] https://packages.microsoft.com/repos/azure-cli/ $(lsb_release -cs) main" \
    > /etc/apt/sources.list.d/azure-cli.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends azure-cli \
 && apt-get purge -y gnupg lsb-release \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 agent
COPY --from=build /src/target/release/haymaker /usr/local/bin/haymaker
USER agent
WORKDIR /home/agent
# No colour and no telemetry from the CLI (the agent's own logs are JSON lines: stdout is no terminal).
ENV AZURE_CORE_COLLECT_TELEMETRY=false \
    AZURE_CORE_NO_COLOR=1
ENTRYPOINT ["/usr/local/bin/haymaker"]
CMD ["agent"]
