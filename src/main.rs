fn main() -> std::process::ExitCode {
    haymaker::cli::main()
}
