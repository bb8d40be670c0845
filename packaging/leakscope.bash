# bash completion for leakscope (installed as share/bash-completion/completions/leakscope).
_leakscope() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    local commands="run attach report check diff snap show"
    local report="--label --warmup --format --output --source-root --color --all --alloc-fn --show-suppressed --no-default-suppressions --source-url --strict --help"
    local gate="--max-bytes-per-cycle --max-handles-per-cycle --max-exit-bytes --fail-on --suppressions --baseline --update-baseline"
    local command="" i
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == -- ]] && { command=after-dashes; break; }
        [[ -z $command && " $commands " == *" ${words[i]} "* ]] && command=${words[i]}
    done
    if [[ $command == after-dashes ]]; then
        COMPREPLY=($(compgen -c -- "$cur"))
        return
    fi
    case $prev in
        --format)
            if [[ $command == diff ]]; then COMPREPLY=($(compgen -W "text json markdown" -- "$cur"))
            else COMPREPLY=($(compgen -W "text json markdown junit sarif folded html" -- "$cur")); fi
            return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --fail-on) COMPREPLY=($(compgen -W "growth lost leaked_handle exit_leak bad_close double_close invalid_fd_close unopened_fd_close bad_free failed_allocation injected_failure" -- "$cur")); return ;;
        --out|--source-root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --output|--suppressions|--baseline) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    case $command in
        "") COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur")) ;;
        run) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--out --force --depth --interval --fail-alloc --no-follow-exec --track-sandboxed --reachability --check $report $gate" -- "$cur")) ;;
        report) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "$report" -- "$cur")) || COMPREPLY=($(compgen -f -- "$cur")) ;;
        check) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "$report $gate" -- "$cur")) || COMPREPLY=($(compgen -f -- "$cur")) ;;
        diff) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--format --output --help" -- "$cur")) || COMPREPLY=($(compgen -f -X '!*.lksnap' -- "$cur")) ;;
        show) COMPREPLY=($(compgen -f -X '!*.lksnap' -- "$cur")) ;;
        snap) COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur")) ;;
        attach) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--out --force --interval --duration --depth --check $report $gate" -- "$cur")) || COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur")) ;;
    esac
}
complete -F _leakscope leakscope
