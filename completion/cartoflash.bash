# bash completion for cartoflash: commands, options, --simulate items and the
# devices `cartoflash list --json` shows now (with the same --simulate, if any).

# _cartoflash_devices KIND: DFU selectors (dfu) or Katapult USB devices (usb)
# that `cartoflash list --json` reports. Reads its pretty-printed lines
# ("key": "value"), so that no JSON tool is needed.
_cartoflash_devices() {
    local kind=$1 sim=() w
    for w in "${COMP_WORDS[@]}"; do
        case $w in --simulate | --simulate=*) sim=("$w") ;; esac
    done
    local json
    json=$(command cartoflash "${sim[@]}" list --json 2>/dev/null) || return 0
    if [ "$kind" = dfu ]; then
        sed -n -e 's/^ *"bus_path": "\([^"]*\)".*/\1/p' -e 's/^ *"id": "\([^"]*\)".*/\1/p' \
            -e 's/^ *"serial": "\([^"]*\)".*/serial=\1/p' <<<"$(sed -n '/"dfu"/,/"probes"/p' <<<"$json")"
    else
        sed -n -e 's/^ *"tty": "\([^"]*\)".*/\1/p' -e 's/^ *"port": "\([^"]*\)".*/\1/p' <<<"$json"
    fi
}

_cartoflash() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local globals="--simulate --no-color --log --help --version"
    local old="-f --flash -b --branch -D --debug -t --type -H --high-temp -a --all -k --kseries -d --device --firmware --firmware-dir"
    local sim_items="dfu dfu:f042 dfu:g431 katapult-can katapult-can:f042 katapult-can:g431 katapult-usb katapult-usb:f042 katapult-usb:g431 flash= fault= appear= timing=on timing=off start=idle start=error noapp mainboard=usb"

    # The command and its subcommand: the first two words that are not options.
    local cmd="" sub="" i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --log) i=$((i + 1)) ;; # its FILE is not the command
        -*) ;;
        *) if [ -z "$cmd" ]; then cmd=$w; elif [ -z "$sub" ]; then sub=$w; fi ;;
        esac
    done

    # --simulate=ITEM,ITEM: complete the item after the last comma.
    if [[ $cur == --simulate=* ]]; then
        local spec=${cur#--simulate=} head=""
        [[ $spec == *,* ]] && head=${spec%,*},
        local item words=()
        for item in $sim_items; do words+=("--simulate=$head$item"); done
        COMPREPLY=($(compgen -W "${words[*]}" -- "$cur"))
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
        return 0
    fi

    case $prev in
    --device | -d)
        if [ "$cmd $sub" = "flash usb" ]; then
            COMPREPLY=($(compgen -W "$(_cartoflash_devices usb)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_cartoflash_devices dfu)" -- "$cur"))
        fi
        return 0
        ;;
    --erase) COMPREPLY=($(compgen -W "auto pages mass" -- "$cur")); return 0 ;;
    --mode) COMPREPLY=($(compgen -W "dfu katapult deployer" -- "$cur")); return 0 ;;
    --to) COMPREPLY=($(compgen -W "usb can can@1000000 can@500000 can@250000" -- "$cur")); return 0 ;;
    --stop-after) COMPREPLY=($(compgen -W "deployed" -- "$cur")); return 0 ;;
    --mcu) COMPREPLY=($(compgen -W "stm32f042x6 stm32g431xx" -- "$cur")); return 0 ;;
    --interface)
        if [ "$cmd" = firmware ]; then
            COMPREPLY=($(compgen -W "can usb" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
        fi
        return 0
        ;;
    -f | --flash) COMPREPLY=($(compgen -W "CAN USB DFU" -- "$cur")); return 0 ;;
    -b | --branch) COMPREPLY=($(compgen -W "master beta develop custom" -- "$cur")); return 0 ;;
    --backup-dir | --firmware-dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --source | --firmware | --log) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --wait | --back-wait | --timeout | --address | --bitrate | --uuid | --max-download) return 0 ;;
    esac

    local opts=""
    case "$cmd" in
    "") opts="$globals $old"
        [[ $cur != -* ]] && { COMPREPLY=($(compgen -W "list inspect flash backup firmware status update switch help" -- "$cur")); return 0; } ;;
    list) opts="--json --wait" ;;
    inspect) opts="--json --address" ;;
    backup)
        [ -z "$sub" ] && { COMPREPLY=($(compgen -W "dfu" -- "$cur")); return 0; }
        opts="--device" ;;
    flash)
        case $sub in
        "") COMPREPLY=($(compgen -W "dfu can usb" -- "$cur")); return 0 ;;
        dfu) opts="--device --address --full --force --yes --erase --mass-erase --no-leave --backup-dir --wait --back-wait --interface --dry-run --json" ;;
        can) opts="--uuid --interface --bitrate --force --yes --wait --back-wait --timeout --dry-run --json" ;;
        usb) opts="--device --force --yes --wait --back-wait --timeout --dry-run --json" ;;
        esac ;;
    switch) opts="--to --yes --device --uuid --interface --source --branch --offline --wait --stop-after --restart --json" ;;
    firmware)
        [ -z "$sub" ] && { COMPREPLY=($(compgen -W "list pick" -- "$cur")); return 0; }
        opts="--source --firmware-dir --branch --offline --download --max-download --mode --mcu --interface --bitrate --high-temp --kseries --lite --all --json" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --simulate --simulate= --no-color --log --help" -- "$cur"))
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
}
complete -o filenames -F _cartoflash cartoflash
