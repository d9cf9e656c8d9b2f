# bash completion for wfpctl(8) - openwfp
# Commands come from `wfpctl --help`, layer and field names from
# `wfpctl layers` / `wfpctl fields` of the wfpctl being completed, so the
# lists follow the installed version.

_wfpctl_commands()
{
	"$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next }
		on && /^  [a-z]/ { print $1 }'
}

_wfpctl_layers()
{
	"$1" layers 2>/dev/null | awk '{ sub(/^FWPM_LAYER_/, "", $2); print $2 }'
}

_wfpctl_fields()
{
	"$1" fields 2>/dev/null | awk '{ sub(/^FWPM_CONDITION_/, "", $1); print $1 }'
}

_wfpctl()
{
	local cur prev words cword
	_init_completion || return

	local prog=${words[0]} cmd= i
	# the command is the first word that is not a global option
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	-s | --socket)
		_filedir
		return
		;;
	-c | --count | -x | --explain | --max-flows | -H | --host)
		return
		;;
	-p | --policy | --diff)
		_filedir '@(wfp|json|xml)'
		return
		;;
	--write-permitted | --write-blocked)
		_filedir '@(pcap|pcapng)'
		return
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--version --help --socket -s' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_wfpctl_commands "$prog")" -- "$cur"))
		fi
		return
	fi

	local opts= args=
	case $cmd in
	layers)
		COMPREPLY=($(compgen -W "$(_wfpctl_layers "$prog")" -- "${cur^^}"))
		return
		;;
	fields)
		# one optional layer (its fields) or field (its layers)
		[[ $i -eq $((cword - 1)) ]] &&
			COMPREPLY=($(compgen -W "$(_wfpctl_layers "$prog") $(_wfpctl_fields "$prog")" \
				-- "${cur^^}"))
		return
		;;
	check)
		opts='-n --text --json --xml'
		;;
	show)
		opts='--text --json --xml -s --socket'
		args='filters flows netevents counters'
		;;
	load)
		opts='-s --socket -j --json'
		;;
	monitor)
		COMPREPLY=($(compgen -W '-s --socket -j --json -c --count' -- "$cur"))
		return
		;;
	flush)
		COMPREPLY=($(compgen -W '-s --socket -j --json' -- "$cur"))
		return
		;;
	session)
		# options, then the command to run with its own completion
		local j
		for ((j = i + 1; j < cword; j++)); do
			case ${words[j]} in
			--name | -s | --socket) ((j++)) ;;
			--) ((j++)); break ;;
			-*) ;;
			*) break ;;
			esac
		done
		if ((j < cword)); then
			_command_offset $j
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--dynamic --name -s --socket --' -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi
		return
		;;
	txn)
		[[ $prev == begin ]] && COMPREPLY=($(compgen -W '--read-only' -- "$cur")) ||
			COMPREPLY=($(compgen -W 'begin commit abort' -- "$cur"))
		return
		;;
	filter | sublayer | provider)
		case $prev in
		--layer)
			COMPREPLY=($(compgen -W "$(_wfpctl_layers "$prog")" -- "${cur^^}"))
			return
			;;
		esac
		if [[ $prev == "$cmd" ]]; then
			[[ $cmd == filter ]] && args='add delete get list' || args='add delete'
			COMPREPLY=($(compgen -W "$args" -- "$cur"))
		elif [[ $cur == -* ]]; then
			opts='-s --socket -j --json'
			[[ $cmd == filter ]] && opts="$opts --layer --provider --sublayer"
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		fi
		return
		;;
	sim)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--json --values --verbose -v -h --help' -- "$cur"))
		else
			_filedir sim
		fi
		return
		;;
	replay)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--policy --host --json --explain --no-packets
				--no-summary --max-flows --write-permitted --write-blocked --diff
				--policy-change-at --help' -- "$cur"))
		else
			_filedir '@(pcap|pcapng|cap)'
		fi
		return
		;;
	*)
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# positional arguments are files (and, for show, what to ask wfpd for)
	COMPREPLY=($(compgen -W "$args" -- "$cur"))
	_filedir '@(wfp|json|xml)'
}
complete -F _wfpctl wfpctl
