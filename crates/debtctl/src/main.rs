fn main() -> std::process::ExitCode {
    debtctl::main()
}
